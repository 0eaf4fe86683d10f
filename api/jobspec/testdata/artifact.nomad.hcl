job "fetch" {
  type = "batch"

  group "fetch" {
    task "show" {
      driver = "exec"
      config {
        command = "cat"
        args    = ["local/motd.txt", "local/site/index.html"]
      }

      artifact {
        source = "file:///srv/artifacts/motd.txt"
        options {
          checksum = "sha256:9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08"
        }
      }

      artifact {
        source      = "/srv/artifacts/site.tar.gz"
        destination = "local/site"
      }

      artifact {
        source = "files/motd.txt"
      }

      artifact {
        source      = "/srv/artifacts/tool.zip"
        destination = "/local/bin/tool.zip"
        mode        = "file"
        chown       = true
      }
    }
  }
}
