job "db" {
  group "db" {
    volume "data" {
      type            = "csi"
      source          = "pgdata"
      access_mode     = "single-node-writer"
      attachment_mode = "file-system"
    }
    task "db" {
      driver = "exec"
      config { command = "/bin/true" }
    }
  }
}
