source "docker" "base" {
  image  = "@@REG@@/fixtures/app@@@docker-v1@@" # @@REG@@/fixtures/app:docker-v1
  commit = true
}
