variable "TAG" {
  default = "v1"
}

group "default" {
  targets = ["app"]
}

target "app" {
  dockerfile = "Dockerfile"
  tags       = ["me/app:latest"]
  contexts = {
    base   = "docker-image://@@REG@@/fixtures/app@@@v1@@" # @@REG@@/fixtures/app:v1
    src    = "./src"
    tools  = "target:tools"
    tagged = "docker-image://@@REG@@/fixtures/app:${TAG}"
  }
}