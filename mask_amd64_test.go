//go:build amd64 && !purego

package websocket

import "golang.org/x/sys/cpu"

func init() {
	// Both vector widths are tested and benchmarked directly instead of by
	// flipping useAVX2, so no test writes state that maskBytes and maskCopy
	// read.
	vectorMaskImpls = append(vectorMaskImpls, maskImpl{"sse2",
		func(key [maskKeySize]byte, pos int, b []byte) int {
			return maskBytesVector(key, pos, b, false)
		},
		func(key [maskKeySize]byte, pos int, dst, src []byte) int {
			return maskCopyVector(key, pos, dst, src, false)
		},
	})
	if cpu.X86.HasAVX2 {
		vectorMaskImpls = append(vectorMaskImpls, maskImpl{"avx2",
			func(key [maskKeySize]byte, pos int, b []byte) int {
				return maskBytesVector(key, pos, b, true)
			},
			func(key [maskKeySize]byte, pos int, dst, src []byte) int {
				return maskCopyVector(key, pos, dst, src, true)
			},
		})
	}
}
