job "cleanup" {
  type = "batch"

  periodic {
    crons            = ["0 3 * * *"]
    time_zone        = "Europe/Paris"
    prohibit_overlap = true
  }

  group "cleanup" {
    task "cleanup" {
      driver = "exec"
      config {
        command = "/usr/bin/find"
        args    = ["/tmp", "-mtime", "+7", "-delete"]
      }
      template {
        data        = "DRY_RUN=false\nLEVEL=\"info\"\n"
        destination = "local/cleanup.env"
        env         = true
      }
    }
  }
}
