// Command registry-auth is the private registry's side kit for the local
// cluster (scripts/cluster.d/private-registry.sh):
//
//	registry-auth htpasswd USER PASSWORD      print an htpasswd line (bcrypt), for Basic auth
//	registry-auth serve FLAGS                 a token server: the Bearer flow of the distribution spec
//	registry-auth push FLAGS                  copy fixture images into the private registry
//
// The token server answers GET /token (HTTP Basic credentials) and POST /token
// (OAuth2 password grant, what containerd tries first) with a JWT the registry
// verifies against the certificate it is given (rootcertbundle): RS256, the
// certificate in the x5c header. Anonymous requests and wrong credentials get
// 401, as a private repository on a real registry does. Only "pull" is granted.
package main

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"golang.org/x/crypto/bcrypt"
)

func main() {
	if len(os.Args) < 2 {
		log.Fatal("usage: registry-auth htpasswd|serve|push ...")
	}
	switch os.Args[1] {
	case "htpasswd":
		if len(os.Args) != 4 {
			log.Fatal("usage: registry-auth htpasswd USER PASSWORD")
		}
		hash, err := bcrypt.GenerateFromPassword([]byte(os.Args[3]), bcrypt.DefaultCost)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%s:%s\n", os.Args[2], hash)
	case "serve":
		serve(os.Args[2:])
	case "push":
		push(os.Args[2:])
	default:
		log.Fatalf("unknown command %q", os.Args[1])
	}
}

type server struct {
	user, password  string
	issuer, service string
	key             *rsa.PrivateKey
	certDER         []byte
}

func serve(args []string) {
	fs := flag.NewFlagSet("serve", flag.ExitOnError)
	listen := fs.String("listen", "127.0.0.1:5002", "address to listen on")
	keyFile := fs.String("key", "", "PEM RSA private key that signs tokens")
	certFile := fs.String("cert", "", "PEM certificate of that key (the registry's rootcertbundle)")
	credFile := fs.String("credentials", "", "file with USER:PASSWORD on one line")
	issuer := fs.String("issuer", "dd-token-server", "iss claim")
	service := fs.String("service", "dd-private", "aud claim (the registry's service name)")
	_ = fs.Parse(args)

	s := &server{issuer: *issuer, service: *service}
	cred, err := os.ReadFile(*credFile)
	if err != nil {
		log.Fatal(err)
	}
	var ok bool
	s.user, s.password, ok = strings.Cut(strings.TrimSpace(string(cred)), ":")
	if !ok {
		log.Fatalf("%s: want USER:PASSWORD", *credFile)
	}
	if s.key, err = readKey(*keyFile); err != nil {
		log.Fatal(err)
	}
	certPEM, err := os.ReadFile(*certFile)
	if err != nil {
		log.Fatal(err)
	}
	block, _ := pem.Decode(certPEM)
	if block == nil || block.Type != "CERTIFICATE" {
		log.Fatalf("%s: no certificate", *certFile)
	}
	s.certDER = block.Bytes

	mux := http.NewServeMux()
	mux.HandleFunc("/token", s.token)
	log.Printf("token server on %s (issuer %s, service %s)", *listen, s.issuer, s.service)
	log.Fatal(http.ListenAndServe(*listen, mux))
}

func readKey(file string) (*rsa.PrivateKey, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, fmt.Errorf("%s: no PEM block", file)
	}
	if k, err := x509.ParsePKCS1PrivateKey(block.Bytes); err == nil {
		return k, nil
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, err
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, errors.New("not an RSA key")
	}
	return rk, nil
}

func (s *server) valid(user, password string) bool {
	u := subtle.ConstantTimeCompare([]byte(user), []byte(s.user))
	p := subtle.ConstantTimeCompare([]byte(password), []byte(s.password))
	return u&p == 1
}

type access struct {
	Type    string   `json:"type"`
	Name    string   `json:"name"`
	Actions []string `json:"actions"`
}

func (s *server) token(w http.ResponseWriter, r *http.Request) {
	var user, password, service string
	var scopes []string
	var given bool
	switch r.Method {
	case http.MethodGet:
		user, password, given = r.BasicAuth()
		q := r.URL.Query()
		service, scopes = q.Get("service"), q["scope"]
	case http.MethodPost:
		if err := r.ParseForm(); err != nil {
			http.Error(w, "bad form", http.StatusBadRequest)
			return
		}
		if r.PostForm.Get("grant_type") != "password" {
			// No refresh tokens here: tell the client to use GET with Basic.
			log.Printf("POST /token grant_type=%q: unsupported", r.PostForm.Get("grant_type"))
			writeError(w, http.StatusBadRequest, "unsupported_grant_type")
			return
		}
		user, password, given = r.PostForm.Get("username"), r.PostForm.Get("password"), true
		service, scopes = r.PostForm.Get("service"), strings.Fields(r.PostForm.Get("scope"))
	default:
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if !given || !s.valid(user, password) {
		what := "anonymous"
		if given {
			what = fmt.Sprintf("user %q with a wrong password", user)
			if user != s.user {
				what = fmt.Sprintf("unknown user %q", user)
			}
		}
		log.Printf("%s /token service=%q scope=%q: refused (%s)", r.Method, service, scopes, what)
		w.Header().Set("WWW-Authenticate", `Basic realm="dd-token-server"`)
		writeError(w, http.StatusUnauthorized, "unauthorized")
		return
	}
	if service != "" && service != s.service {
		log.Printf("%s /token service=%q: unknown service", r.Method, service)
		writeError(w, http.StatusBadRequest, "unknown service")
		return
	}
	granted := []access{}
	for _, sc := range scopes {
		parts := strings.Split(sc, ":")
		if len(parts) < 3 || parts[0] != "repository" {
			continue
		}
		actions := strings.Split(parts[len(parts)-1], ",")
		repo := strings.Join(parts[1:len(parts)-1], ":")
		for _, a := range actions {
			if a == "pull" {
				granted = append(granted, access{Type: "repository", Name: repo, Actions: []string{"pull"}})
				break
			}
		}
	}
	now := time.Now()
	tok, err := s.sign(user, granted, now)
	if err != nil {
		log.Printf("signing: %v", err)
		http.Error(w, "cannot sign", http.StatusInternalServerError)
		return
	}
	log.Printf("%s /token user=%q scope=%q: granted %d", r.Method, user, scopes, len(granted))
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"token": tok, "access_token": tok, "expires_in": 300, "issued_at": now.UTC().Format(time.RFC3339),
	})
}

func writeError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"errors": []map[string]string{{"code": "UNAUTHORIZED", "message": msg}}})
}

func (s *server) sign(user string, granted []access, now time.Time) (string, error) {
	enc := base64.RawURLEncoding
	header, err := json.Marshal(map[string]any{"typ": "JWT", "alg": "RS256", "x5c": []string{base64.StdEncoding.EncodeToString(s.certDER)}})
	if err != nil {
		return "", err
	}
	jti := make([]byte, 16)
	if _, err := rand.Read(jti); err != nil {
		return "", err
	}
	claims, err := json.Marshal(map[string]any{
		"iss": s.issuer, "sub": user, "aud": s.service,
		"exp": now.Add(5 * time.Minute).Unix(), "nbf": now.Add(-10 * time.Second).Unix(), "iat": now.Unix(),
		"jti": hex.EncodeToString(jti), "access": granted,
	})
	if err != nil {
		return "", err
	}
	signing := enc.EncodeToString(header) + "." + enc.EncodeToString(claims)
	sum := sha256.Sum256([]byte(signing))
	sig, err := rsa.SignPKCS1v15(rand.Reader, s.key, crypto.SHA256, sum[:])
	if err != nil {
		return "", err
	}
	return signing + "." + enc.EncodeToString(sig), nil
}

// push copies the fixture images from the anonymous registry into the
// private one under another repository, with a label that gives each copy its
// own digest: the anonymous registry has none of them.
func push(args []string) {
	fs := flag.NewFlagSet("push", flag.ExitOnError)
	from := fs.String("from", "127.0.0.1:5000/fixtures/app", "source repository")
	to := fs.String("to", "127.0.0.1:5001/private/app", "destination repository")
	tags := fs.String("tags", "nonroot,root,uid1001,setuid", "comma-separated tags")
	credFile := fs.String("credentials", "", "file with USER:PASSWORD on one line")
	_ = fs.Parse(args)
	cred, err := os.ReadFile(*credFile)
	if err != nil {
		log.Fatal(err)
	}
	user, password, _ := strings.Cut(strings.TrimSpace(string(cred)), ":")
	auth := remote.WithAuth(&authn.Basic{Username: user, Password: password})
	for _, tag := range strings.Split(*tags, ",") {
		src, err := name.ParseReference(*from+":"+tag, name.Insecure)
		if err != nil {
			log.Fatal(err)
		}
		img, err := remote.Image(src)
		if err != nil {
			log.Fatalf("read %s: %v", src, err)
		}
		cf, err := img.ConfigFile()
		if err != nil {
			log.Fatal(err)
		}
		cfg := cf.Config
		labels := map[string]string{}
		for k, v := range cfg.Labels {
			labels[k] = v
		}
		labels["dd.test/registry"] = "private"
		cfg.Labels = labels
		out, err := mutate.Config(img, cfg)
		if err != nil {
			log.Fatal(err)
		}
		dst, err := name.ParseReference(*to+":"+tag, name.Insecure)
		if err != nil {
			log.Fatal(err)
		}
		if err := remote.Write(dst, out, auth); err != nil {
			log.Fatalf("push %s: %v", dst, err)
		}
		d, _ := out.Digest()
		fmt.Printf("pushed %s@%s (User %q)\n", dst, d, cfg.User)
	}
}
