// oras-push: pushes an image from an OCI image layout to a registry with ORAS
// Go (oras.land/oras-go 1.1, as Debian packages it), the way a small ORAS Go
// program would: oras.Copy from the layout (content.NewOCI) to the registry
// (content.NewRegistry, plain HTTP), every blob and then the manifest, with
// oras-go's default concurrency (containerd's images.Dispatch without a
// limiter: every blob of the manifest at once).
//
// The peer of the small-layer push in bench/e2e.ts. Built offline in GOPATH
// mode by bench/_e2e_oras.ts.
//
// Usage:
//
//	oras-push LAYOUT_DIR TAG REF
//
// REF is host/repository:tag. ORAS_USERNAME and ORAS_PASSWORD, when set,
// are the credentials (basic, or for the token realm). Prints the digest of
// the manifest pushed.
package main

import (
	"context"
	"fmt"
	"os"

	"oras.land/oras-go/pkg/content"
	"oras.land/oras-go/pkg/oras"
)

func push(dir, tag, ref string) error {
	store, err := content.NewOCI(dir)
	if err != nil {
		return fmt.Errorf("open layout %s: %w", dir, err)
	}
	reg, err := content.NewRegistry(content.RegistryOptions{
		PlainHTTP: true,
		Username:  os.Getenv("ORAS_USERNAME"),
		Password:  os.Getenv("ORAS_PASSWORD"),
	})
	if err != nil {
		return err
	}
	desc, err := oras.Copy(context.Background(), store, tag, reg, ref)
	if err != nil {
		return err
	}
	fmt.Println(desc.Digest.String())
	return nil
}

func main() {
	if len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: oras-push LAYOUT_DIR TAG REF")
		os.Exit(2)
	}
	if err := push(os.Args[1], os.Args[2], os.Args[3]); err != nil {
		fmt.Fprintln(os.Stderr, "oras-push:", err)
		os.Exit(1)
	}
}
