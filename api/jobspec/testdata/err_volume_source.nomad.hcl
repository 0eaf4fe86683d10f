job "db" {
  group "db" {
    volume "data" {
      type   = "host"
      source = "pgdata"
    }
    task "db" {
      driver = "exec"
      config { command = "/bin/true" }
      volume_mount {
        volume      = "data"
        destination = "/data"
      }
    }
  }
}
