job "web" {
  datacenters = ["dc1"]

  group "web" {
    task "docker" {
      driver = "docker"
      config {
        image = "@@REG@@/fixtures/app@@@v1@@" # @@REG@@/fixtures/app:v1
        ports = ["http"]
      }
    }

    task "podman" {
      driver = "podman"
      config {
        image = "@@REG@@/fixtures/app@@@multi@@" # @@REG@@/fixtures/app:multi
      }
    }

    task "exec" {
      driver = "exec"
      config {
        image   = "@@REG@@/fixtures/app:v1"
        command = "/bin/true"
      }
    }
  }
}