job "report" {
  type     = "batch"
  priority = 70

  meta {
    owner = "data-team"
  }

  group "run" {
    count = 4

    restart {
      attempts = 2
      mode     = "fail"
    }

    task "report" {
      driver = "docker"
      config {
        image      = "busybox:1.36"
        entrypoint = ["/bin/sh", "-c"]
        command    = "echo done"
      }
      resources {
        cores  = 2
        memory = 128
      }
    }

    task "logger" {
      driver = "docker"
      lifecycle {
        hook    = "prestart"
        sidecar = true
      }
      config {
        image = "fluent/fluent-bit:3.0"
      }
    }
  }
}
