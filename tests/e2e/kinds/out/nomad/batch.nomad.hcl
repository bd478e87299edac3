job "batch" {
  type = "batch"
  group "g" {
    task "t" {
      driver = "docker"
      config {
        image = "@@REG@@/fixtures/app@@@docker-v1@@" # @@REG@@/fixtures/app:docker-v1
      }
    }
  }
}
