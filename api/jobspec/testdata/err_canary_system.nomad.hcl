job "agents" {
  type = "system"
  group "g" {
    update {
      canary = 1
    }
    task "t" {
      driver = "exec"
      config {
        command = "/usr/bin/agent"
      }
    }
  }
}
