job "fetch" {
  type = "batch"
  group "fetch" {
    task "show" {
      driver = "exec"
      config {
        command = "cat"
      }
      artifact {
        source = "https://example.com/app.tar.gz"
      }
    }
  }
}
