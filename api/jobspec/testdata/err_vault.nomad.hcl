job "secret" {
  group "g" {
    task "t" {
      driver = "exec"
      config {
        command = "/bin/true"
      }
      vault {
        policies = ["app"]
      }
    }
  }
}
