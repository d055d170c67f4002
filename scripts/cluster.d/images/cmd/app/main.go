// Command app is the fixture "distroless" application: a static HTTP server
// with nothing else in its image. Its behaviour is chosen by /etc/app-variant
// (the image tag) so one binary serves every fixture image.
package main

import (
	"fmt"
	"log"
	"net/http"
	"os"
	"strings"
	"syscall"
	"time"
)

func must(err error) {
	if err != nil {
		log.Fatal(err)
	}
}

func main() {
	variant := "unknown"
	if b, err := os.ReadFile("/etc/app-variant"); err == nil {
		variant = strings.TrimSpace(string(b))
	}
	if variant == "setuid" || variant == "nodump" {
		// Starts as root, then becomes 1001:1001, as daemons that drop
		// privileges do: the runtime reports the first identity (root), the
		// process then runs as someone else.
		must(syscall.Setgroups([]int{1001}))
		must(syscall.Setgid(1001))
		must(syscall.Setuid(1001))
	}
	if variant == "setuid" {
		// Changing credentials clears the dumpable flag, and then only
		// CAP_SYS_PTRACE opens /proc/PID/root; daemons that want core dumps
		// (nginx, for one) set it again, and so does this fixture. "nodump"
		// does not: only --profile general can open it.
		if _, _, errno := syscall.RawSyscall(syscall.SYS_PRCTL, 4 /* PR_SET_DUMPABLE */, 1, 0); errno != 0 {
			log.Fatal(errno)
		}
	}
	if variant == "crash" {
		// The crash fixture must look alive for a moment, then fail the way a
		// misconfigured app does, so "target not running" paths can be tested.
		go func() {
			time.Sleep(2 * time.Second)
			log.Print("crash fixture: exiting with code 1")
			os.Exit(1)
		}()
	}
	addr := ":8080"
	if v := os.Getenv("APP_ADDR"); v != "" {
		addr = v
	}
	http.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintf(w, "app variant %s uid %d gid %d\n", variant, os.Getuid(), os.Getgid())
	})
	log.Printf("app variant %s listening on %s as %d:%d", variant, addr, os.Getuid(), os.Getgid())
	log.Fatal(http.ListenAndServe(addr, nil))
}
