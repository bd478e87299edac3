data "docker_registry_image" "app" {
  name = "@@REG@@/fixtures/app:latest"
}

resource "docker_container" "web" {
  name  = "web"
  image = "@@REG@@/fixtures/app@@@v1@@" # @@REG@@/fixtures/app:v1
}

resource "docker_container" "cache" {
  name  = "cache"
  image = docker_image.cache.image_id
}

resource "docker_service" "api" {
  name = "api"
  task_spec {
    container_spec {
      image = "@@REG@@/fixtures/app@@@multi@@" # @@REG@@/fixtures/app:multi # a swarm service
    }
  }
}
