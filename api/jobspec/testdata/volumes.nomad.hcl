job "db" {
  group "db" {
    count = 2
    volume "data" {
      type      = "host"
      source    = "/srv/db/"
      read_only = false
    }
    volume "seed_files" {
      type      = "host"
      source    = "/srv/seed"
      read_only = true
    }
    network {
      port "pg" { to = 5432 }
    }
    service {
      name = "db"
      port = "pg"
      tags = ["primary", "urlprefix-/admin", "urlprefix-db.example.com/", "urlprefix-/stats"]
    }
    task "db" {
      driver = "docker"
      config {
        image = "postgres:16"
        ports = ["pg"]
      }
      volume_mount {
        volume      = "data"
        destination = "var/lib/postgresql"
      }
      volume_mount {
        volume      = "seed_files"
        destination = "/seed"
      }
    }
    task "backup" {
      driver = "exec"
      config {
        command = "/bin/sh"
        args    = ["-c", "while sleep 3600; do cp -r data backup; done"]
      }
      volume_mount {
        volume      = "data"
        destination = "/data"
        read_only   = true
      }
    }
  }
}
