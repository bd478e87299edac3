module "vpc" {
  source = "oci://@@REG@@/modules/vpc?tag=1.0.0"
}

resource "helm_release" "podinfo" {
  name       = "podinfo"
  repository = "oci://@@REG@@/charts"
  chart      = "podinfo"
  version    = "6.5.4"
}
