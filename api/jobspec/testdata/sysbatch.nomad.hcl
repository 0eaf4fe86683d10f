job "disk-scan" {
  type        = "sysbatch"
  datacenters = ["dc1"]

  group "scan" {
    constraint {
      attribute = "${attr.kernel.name}"
      value     = "linux"
    }

    restart {
      attempts = 0
    }

    task "scan" {
      driver = "exec"
      config {
        command = "/bin/sh"
        args    = ["-c", "df -h /"]
      }
      resources {
        cpu    = 50
        memory = 32
      }
    }
  }
}
