target "app" {
  contexts = {
    runtime = "docker-image://@@REG@@/fixtures/app:multi"
  }
}
