resource "kubernetes_cron_job_v1" "nightly" {
  spec {
    job_template {
      spec {
        template {
          spec {
            container {
              name  = "job"
              image = "@@REG@@/fixtures/app@@@docker-multi@@" # @@REG@@/fixtures/app:docker-multi
            }
          }
        }
      }
    }
  }
}
