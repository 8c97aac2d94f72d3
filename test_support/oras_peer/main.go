// oras-peer: a small ORAS Go (oras.land/oras-go, as Debian packages it) client
// used by the artifact tests as an independent peer: it pushes files and
// directories as an artifact the way oras-go does, and pulls an artifact
// into a directory with oras-go's file store.
//
// Built in GOPATH mode, offline, by test_support/oras_peer.ts.
//
// Usage:
//
//	oras-peer push REF DIR NAME...   push DIR/NAME... (directories are packed
//	                                 as tar+gzip), print the manifest digest
//	oras-peer pull REF DIR           write the artifact's files into DIR
package main

import (
	"context"
	"fmt"
	"os"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/pkg/content"
	"oras.land/oras-go/pkg/oras"
)

func registry() (*content.Registry, error) {
	return content.NewRegistry(content.RegistryOptions{PlainHTTP: true})
}

func push(ref, dir string, names []string) error {
	store := content.NewFile(dir)
	defer store.Close()
	var layers = make([]ocispec.Descriptor, 0, len(names))
	for _, name := range names {
		desc, err := store.Add(name, "", "")
		if err != nil {
			return fmt.Errorf("add %s: %w", name, err)
		}
		layers = append(layers, desc)
	}
	manifest, manifestDesc, config, configDesc, err := content.GenerateManifestAndConfig(
		map[string]string{"org.example.pushed-by": "oras-go"}, nil, layers...)
	if err != nil {
		return err
	}
	if err := store.Load(configDesc, config); err != nil {
		return err
	}
	if err := store.StoreManifest(ref, manifestDesc, manifest); err != nil {
		return err
	}
	reg, err := registry()
	if err != nil {
		return err
	}
	desc, err := oras.Copy(context.Background(), store, ref, reg, "")
	if err != nil {
		return err
	}
	fmt.Println(desc.Digest.String())
	return nil
}

func pull(ref, dir string) error {
	reg, err := registry()
	if err != nil {
		return err
	}
	store := content.NewFile(dir, content.WithIgnoreNoName())
	defer store.Close()
	desc, err := oras.Copy(context.Background(), reg, ref, store, "")
	if err != nil {
		return err
	}
	fmt.Println(desc.Digest.String())
	return nil
}

func main() {
	var err error
	switch {
	case len(os.Args) >= 5 && os.Args[1] == "push":
		err = push(os.Args[2], os.Args[3], os.Args[4:])
	case len(os.Args) == 4 && os.Args[1] == "pull":
		err = pull(os.Args[2], os.Args[3])
	default:
		fmt.Fprintln(os.Stderr, "usage: oras-peer push REF DIR NAME... | oras-peer pull REF DIR")
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "oras-peer:", err)
		os.Exit(1)
	}
}
