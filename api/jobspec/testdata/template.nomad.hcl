job "tmpl" {
  group "app" {
    network {
      port "http" {}
    }
    task "server" {
      driver = "exec"
      config {
        command = "/bin/sh"
        args    = ["-c", "cat local/app.conf; env"]
      }
      template {
        data        = <<-EOT
          port={{ env "NOMAD_PORT_http" }}
          name={{ env "NOMAD_TASK_NAME" | toUpper }}
        EOT
        destination = "local/app.conf"
        perms       = "0640"
        change_mode = "restart"
      }
      template {
        data            = "started=[[ timestamp \"unix\" ]] {{ kept }}\n"
        destination     = "local/started.txt"
        left_delimiter  = "[["
        right_delimiter = "]]"
        change_mode     = "signal"
        change_signal   = "SIGHUP"
        splay           = "5s"
      }
      template {
        data        = "[app]\nfile={{ file \"local/app.conf\" | trimSpace }}\n"
        destination = "/etc/app/app.ini"
      }
      template {
        data        = <<-EOT
          GREETING=hello-{{ env "NOMAD_ALLOC_INDEX" }}
          LEVEL="info"
        EOT
        destination = "secrets/app.env"
        env         = true
      }
    }
  }
}
