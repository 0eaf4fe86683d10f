job "bad" {
  group "g" {
    task "t" {
      driver  = "exec"
      comand  = "/bin/true"
      config {
        command = "/bin/true"
      }
    }
  }
}
