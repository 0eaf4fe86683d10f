job "bad" {
  update {
    canary       = -1
    auto_promote = true
  }
  group "g" {
    task "t" {
      driver = "exec"
      config {
        command = "/bin/true"
      }
    }
  }
}
