job "fetch" {
  type = "batch"
  group "fetch" {
    task "show" {
      driver = "exec"
      config {
        command = "cat"
      }
      artifact {
        source      = "/srv/app.tar.gz"
        destination = "../../etc"
        mode        = "tree"
        options {
          checksum = "sha256:abc"
          archive  = "false"
        }
      }
    }
  }
}
