// Command build-images assembles the local cluster's images from files on this
// machine (no base image, no download) and pushes them to the local registry.
// Layers are built with fixed timestamps and explicit owners, so a rerun
// produces the same digests and the push becomes a no-op.
package main

import (
	"archive/tar"
	"bytes"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

var epoch = time.Unix(0, 0)

type entry struct {
	path     string // without leading slash
	mode     int64
	uid, gid int
	typ      byte
	link     string
	data     []byte
}

type layer struct{ entries map[string]entry }

func newLayer() *layer { return &layer{entries: map[string]entry{}} }

func (l *layer) dir(p string, mode int64, uid, gid int) {
	p = strings.Trim(p, "/")
	if p == "" {
		return
	}
	if parent := filepath.Dir(p); parent != "." {
		if _, ok := l.entries[parent]; !ok {
			l.dir(parent, 0o755, 0, 0)
		}
	}
	if _, ok := l.entries[p]; !ok {
		l.entries[p] = entry{path: p, mode: mode, uid: uid, gid: gid, typ: tar.TypeDir}
	}
}

func (l *layer) file(p string, mode int64, uid, gid int, data []byte) {
	p = strings.Trim(p, "/")
	l.dir(filepath.Dir(p), 0o755, 0, 0)
	l.entries[p] = entry{path: p, mode: mode, uid: uid, gid: gid, typ: tar.TypeReg, data: data}
}

func (l *layer) symlink(p, target string) {
	p = strings.Trim(p, "/")
	l.dir(filepath.Dir(p), 0o755, 0, 0)
	l.entries[p] = entry{path: p, mode: 0o777, typ: tar.TypeSymlink, link: target}
}

// tree copies a host directory (regular files, dirs, symlinks) owned by root.
func (l *layer) tree(hostDir, imageDir string) {
	err := filepath.WalkDir(hostDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(hostDir, p)
		dst := filepath.Join(imageDir, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			l.dir(dst, 0o755, 0, 0)
		case info.Mode()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			l.symlink(dst, target)
		case info.Mode().IsRegular():
			l.file(dst, 0o644, 0, 0, mustRead(p))
		}
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}
}

func (l *layer) build() v1.Layer {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	keys := make([]string, 0, len(l.entries))
	for k := range l.entries {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		e := l.entries[k]
		name := e.path
		if e.typ == tar.TypeDir {
			name += "/"
		}
		h := &tar.Header{Name: name, Mode: e.mode, Uid: e.uid, Gid: e.gid, Typeflag: e.typ,
			Linkname: e.link, Size: int64(len(e.data)), ModTime: epoch, Format: tar.FormatPAX}
		if err := tw.WriteHeader(h); err != nil {
			log.Fatal(err)
		}
		if e.typ == tar.TypeReg {
			if _, err := tw.Write(e.data); err != nil {
				log.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		log.Fatal(err)
	}
	data := buf.Bytes()
	ly, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(data)), nil
	})
	if err != nil {
		log.Fatal(err)
	}
	return ly
}

func mustRead(p string) []byte {
	b, err := os.ReadFile(p)
	if err != nil {
		log.Fatal(err)
	}
	return b
}

func image(l *layer, cfg v1.Config) v1.Image {
	img, err := mutate.AppendLayers(empty.Image, l.build())
	if err != nil {
		log.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		log.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.Architecture, cf.OS, cf.Created = "amd64", "linux", v1.Time{Time: epoch}
	cf.Config = cfg
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		log.Fatal(err)
	}
	return img
}

func push(img v1.Image, refs ...string) {
	for _, r := range refs {
		ref, err := name.ParseReference(r, name.Insecure)
		if err != nil {
			log.Fatal(err)
		}
		if err := remote.Write(ref, img); err != nil {
			log.Fatalf("push %s: %v", r, err)
		}
		d, _ := img.Digest()
		fmt.Printf("pushed %s@%s\n", r, d)
	}
}

const passwd = "root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\napp:x:1001:1001:app:/home/app:/sbin/nologin\n"
const group = "root:x:0:\nnobody:x:65534:\nnonroot:x:65532:\napp:x:1001:\n"

func appImage(appBin, variant string, uid, gid, owner int) v1.Image {
	l := newLayer()
	l.dir("tmp", 0o1777, 0, 0)
	l.dir("home/nonroot", 0o700, 65532, 65532)
	l.dir("home/app", 0o700, 1001, 1001)
	l.file("app", 0o755, 0, 0, mustRead(appBin))
	l.file("etc/passwd", 0o644, 0, 0, []byte(passwd))
	l.file("etc/group", 0o644, 0, 0, []byte(group))
	l.file("etc/app-variant", 0o644, 0, 0, []byte(variant+"\n"))
	l.file("etc/app-secret", 0o600, owner, owner, []byte("secret of the "+variant+" fixture\n"))
	l.file("etc/ssl/certs/ca-certificates.crt", 0o644, 0, 0, mustRead("/etc/ssl/certs/ca-certificates.crt"))
	l.tree("/usr/share/zoneinfo", "usr/share/zoneinfo")
	user := "0"
	if uid != 0 {
		user = fmt.Sprintf("%d:%d", uid, gid)
	}
	return image(l, v1.Config{User: user, Entrypoint: []string{"/app"}, WorkingDir: "/",
		Env: []string{"PATH=/usr/local/bin:/usr/bin:/bin", "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"}})
}

func busyboxImage(bin string) v1.Image {
	l := newLayer()
	l.dir("tmp", 0o1777, 0, 0)
	l.dir("root", 0o700, 0, 0)
	l.file("bin/busybox", 0o755, 0, 0, mustRead(bin))
	out, err := exec.Command(bin, "--list-full").Output()
	if err != nil {
		log.Fatalf("busybox --list-full: %v", err)
	}
	for _, applet := range strings.Fields(string(out)) {
		if applet == "bin/busybox" {
			continue
		}
		l.symlink(applet, "/bin/busybox")
	}
	l.file("etc/passwd", 0o644, 0, 0, []byte(passwd))
	l.file("etc/group", 0o644, 0, 0, []byte(group))
	return image(l, v1.Config{Cmd: []string{"sh"}, Env: []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}})
}

func pauseImage(bin string) v1.Image {
	l := newLayer()
	l.file("pause", 0o755, 0, 0, mustRead(bin))
	return image(l, v1.Config{Entrypoint: []string{"/pause"}, User: "65535:65535"})
}

func main() {
	registry := flag.String("registry", "127.0.0.1:5000", "registry to push to")
	appBin := flag.String("app", "", "static fixture app binary")
	pauseBin := flag.String("pause", "", "static pause binary")
	busybox := flag.String("busybox", "/bin/busybox", "static busybox binary")
	busyboxRefs := flag.String("busybox-refs", "library/busybox:latest", "comma-separated repo:tag names for busybox")
	pauseRefs := flag.String("pause-refs", "pause:3.10.1", "comma-separated repo:tag names for pause")
	flag.Parse()

	prefix := func(list string) []string {
		var refs []string
		for _, r := range strings.Split(list, ",") {
			refs = append(refs, *registry+"/"+strings.TrimSpace(r))
		}
		return refs
	}
	push(pauseImage(*pauseBin), prefix(*pauseRefs)...)
	push(busyboxImage(*busybox), prefix(*busyboxRefs)...)
	// owner: who owns /etc/app-secret (the identity the app really runs as).
	for _, v := range []struct {
		tag             string
		uid, gid, owner int
	}{{"nonroot", 65532, 65532, 65532}, {"root", 0, 0, 0}, {"uid1001", 1001, 1001, 1001}, {"crash", 65532, 65532, 65532}, {"setuid", 0, 0, 1001}, {"nodump", 0, 0, 1001}} {
		push(appImage(*appBin, v.tag, v.uid, v.gid, v.owner), *registry+"/fixtures/app:"+v.tag)
	}
}
