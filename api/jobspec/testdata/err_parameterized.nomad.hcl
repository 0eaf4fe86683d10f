job "render" {
  parameterized {
    payload       = "sometimes"
    meta_required = ["size"]
    meta_optional = ["size"]
  }

  group "render" {
    task "render" {
      driver = "exec"
      config {
        command = "cat"
      }
      dispatch_payload {
        file = "../outside"
      }
    }
  }
}
