module "vpc" {
  source = "oci://@@REG@@/modules/vpc?digest=@@tofu@@"
}

resource "helm_release" "podinfo" {
  name       = "podinfo"
  repository = "oci://@@REG@@/charts"
  chart      = "podinfo"
  version    = "6.5.4"
}
