packer {
  required_plugins {
    docker = {
      version = ">= 1.0.8"
      source  = "github.com/hashicorp/docker"
    }
  }
}

source "docker" "app" {
  image  = "@@REG@@/fixtures/app@@@v1@@" # @@REG@@/fixtures/app:v1
  commit = true
}

build {
  sources = ["source.docker.app"]
}