package scenarios

import "os"

func writeFile(path, text string) error { return os.WriteFile(path, []byte(text), 0o644) }

func mkdirAll(dir string) error { return os.MkdirAll(dir, 0o755) }
