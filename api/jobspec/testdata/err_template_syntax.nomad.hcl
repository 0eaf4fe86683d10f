job "tmpl" {
  group "app" {
    task "server" {
      driver = "exec"
      config {
        command = "/bin/true"
      }
      template {
        data        = "a\nb={{ env \"X\" | nosuch }}\n"
        destination = "local/app.conf"
      }
    }
  }
}
