job "render" {
  type = "batch"

  meta {
    format = "png"
  }

  parameterized {
    payload       = "required"
    meta_required = ["size"]
    meta_optional = ["format"]
  }

  group "render" {
    task "render" {
      driver = "exec"
      config {
        command = "/bin/sh"
        args    = ["-c", "cat local/input.json; echo ${NOMAD_META_size}"]
      }
      dispatch_payload {
        file = "input.json"
      }
    }
  }
}
