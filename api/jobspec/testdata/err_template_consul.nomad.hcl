job "tmpl" {
  group "app" {
    task "server" {
      driver = "exec"
      config {
        command = "/bin/true"
      }
      template {
        data        = <<-EOT
          # from Consul
          addr={{ key "config/addr" }}
        EOT
        destination = "local/app.conf"
      }
    }
  }
}
