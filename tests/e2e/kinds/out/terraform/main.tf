resource "kubernetes_deployment_v1" "web" {
  metadata {
    name = "web"
  }
  spec {
    template {
      spec {
        init_container {
          name  = "init"
          image = "@@REG@@/fixtures/app@@@v1@@" # @@REG@@/fixtures/app:v1 # the init image
        }
        container {
          name  = "web"
          # pin: @@REG@@/fixtures/app:multi
          image = <<-EOT
            @@REG@@/fixtures/app@@@multi@@
          EOT
        }
        container {
          name  = "side"
          image = "${var.registry}/app:v1"
        }
      }
    }
  }
}

resource "docker_image" "cache" {
  name = "@@REG@@/fixtures/app@@@docker-v1@@" # @@REG@@/fixtures/app:docker-v1
}

data "docker_image" "ignored" {
  // pin: ignore
  name = "@@REG@@/fixtures/app:latest"
}