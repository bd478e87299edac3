target "app" {
  contexts = {
    runtime = "docker-image://@@REG@@/fixtures/app@@@multi@@" # @@REG@@/fixtures/app:multi
  }
}
