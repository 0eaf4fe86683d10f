job "hooks" {
  group "g" {
    task "main" {
      driver = "exec"
      config {
        command = "/bin/sleep"
        args    = ["60"]
      }
    }
    task "after" {
      driver = "exec"
      lifecycle {
        hook = "poststart"
      }
      config {
        command = "/bin/true"
      }
    }
  }
}
