//go:build amd64 && !purego

#include "textflag.h"

// Both functions mask len(b) >= 64 bytes in place; the Go wrapper sends
// shorter payloads to the portable code. Registers:
//   AX  32-bit key whose low byte is the key byte for the byte at SI
//   BX  the key for the final vectors, which start at key position
//       len(b) mod 4
//   SI  next payload byte for the main loop
//   DI  one past the last payload byte
//   R8  the first payload byte
//   DX  payload bytes from SI on
//   CX  scratch, and the rotate count (it must be CL)
//   X0/Y0  AX broadcast; X5/Y5  BX broadcast; X7/Y7  the masked first
//   vector; X6, X8-X10 / Y6, Y8-Y10  the masked final 64 / 128 bytes
//
// Vector steps are multiples of 4 bytes, so the key phase never changes
// inside the loop. The loop only handles whole 64- / 128-byte blocks; the
// tail after the last whole block lies inside the payload's final 64 / 128
// bytes, which are loaded and masked before anything is stored and written
// after the loop. Where they overlap bytes the loop wrote they hold the same
// values, because everything was computed from the original bytes. This
// leaves no branch that depends on the exact length besides the loop's.
//
// Payloads of 256 bytes or more start the loop at an aligned address: an
// access that straddles a cache line costs about twice an aligned one. The
// bytes before that boundary are covered by the first vector, loaded and
// stored like the final ones. Shorter payloads skip the alignment, which
// would cost more than it saves.

// MASK_SETUP loads the arguments, computes BX, DI and R8, and puts the
// keys in the low dwords of X0 and X5.
#define MASK_SETUP \
	MOVL	key+0(FP), AX \
	MOVQ	b_base+8(FP), SI \
	MOVQ	b_len+16(FP), DX \
	MOVQ	SI, R8 \
	LEAQ	(SI)(DX*1), DI \
	MOVL	AX, BX \
	MOVL	DX, CX \
	ANDL	$3, CX \
	SHLL	$3, CX \
	RORL	CX, BX \
	MOVQ	AX, X0 \
	MOVQ	BX, X5

// MASK_ALIGN advances SI to the next multiple of align (a power of two) and
// rotates AX by the bytes skipped, so that it stays the key for (SI).
#define MASK_ALIGN(align) \
	MOVQ	SI, CX \
	NEGQ	CX \
	ANDQ	$(align-1), CX \
	ADDQ	CX, SI \
	SUBQ	CX, DX \
	ANDL	$3, CX \
	SHLL	$3, CX \
	RORL	CX, AX

// func maskSSE2(key uint32, b []byte)
TEXT ·maskSSE2(SB), NOSPLIT, $0-32
	MASK_SETUP
	PSHUFD	$0, X0, X0
	PSHUFD	$0, X5, X5
	MOVOU	-64(DI), X6
	PXOR	X5, X6
	MOVOU	-48(DI), X8
	PXOR	X5, X8
	MOVOU	-32(DI), X9
	PXOR	X5, X9
	MOVOU	-16(DI), X10
	PXOR	X5, X10
	MOVOU	(SI), X7
	PXOR	X0, X7
	CMPQ	DX, $256
	JB	sse64
	MASK_ALIGN(16)
	MOVQ	AX, X0
	PSHUFD	$0, X0, X0

	// At least one whole block is left here (len(b) >= 64, or >= 256 less
	// at most 15 skipped bytes), so the test is at the bottom. Each vector
	// is loaded, masked and stored in turn so that stores start early.
	PCALIGN	$16
sse64:
	MOVOU	(SI), X1
	PXOR	X0, X1
	MOVOU	X1, (SI)
	MOVOU	16(SI), X2
	PXOR	X0, X2
	MOVOU	X2, 16(SI)
	MOVOU	32(SI), X3
	PXOR	X0, X3
	MOVOU	X3, 32(SI)
	MOVOU	48(SI), X4
	PXOR	X0, X4
	MOVOU	X4, 48(SI)
	ADDQ	$64, SI
	SUBQ	$64, DX
	CMPQ	DX, $64
	JAE	sse64

	MOVOU	X6, -64(DI)
	MOVOU	X8, -48(DI)
	MOVOU	X9, -32(DI)
	MOVOU	X10, -16(DI)
	MOVOU	X7, (R8)
	RET

// func maskAVX2(key uint32, b []byte)
TEXT ·maskAVX2(SB), NOSPLIT, $0-32
	MASK_SETUP
	VPBROADCASTD	X0, Y0
	VPBROADCASTD	X5, Y5
	CMPQ	DX, $128
	JB	avxshort
	VPXOR	-128(DI), Y5, Y6
	VPXOR	-96(DI), Y5, Y8
	VPXOR	-64(DI), Y5, Y9
	VPXOR	-32(DI), Y5, Y10
	VPXOR	(SI), Y0, Y7
	CMPQ	DX, $256
	JB	avx128
	MASK_ALIGN(32)
	MOVQ	AX, X0
	VPBROADCASTD	X0, Y0

	// At least one whole block is left here (len(b) >= 128, or >= 256
	// less at most 31 skipped bytes), so the test is at the bottom. Each
	// vector is loaded, masked and stored in turn; this measured faster
	// than four loads followed by four stores.
	PCALIGN	$32
avx128:
	VPXOR	(SI), Y0, Y1
	VMOVDQU	Y1, (SI)
	VPXOR	32(SI), Y0, Y2
	VMOVDQU	Y2, 32(SI)
	VPXOR	64(SI), Y0, Y3
	VMOVDQU	Y3, 64(SI)
	VPXOR	96(SI), Y0, Y4
	VMOVDQU	Y4, 96(SI)
	SUBQ	$-128, SI
	ADDQ	$-128, DX
	CMPQ	DX, $128
	JAE	avx128

	VMOVDQU	Y6, -128(DI)
	VMOVDQU	Y8, -96(DI)
	VMOVDQU	Y9, -64(DI)
	VMOVDQU	Y10, -32(DI)
	VMOVDQU	Y7, (R8)
	// Leave the 256-bit state so later SSE code pays no transition cost.
	VZEROUPPER
	RET

avxshort:
	// 64 <= len(b) < 128: the first and the final 64 bytes cover it all.
	VPXOR	(SI), Y0, Y1
	VPXOR	32(SI), Y0, Y2
	VPXOR	-64(DI), Y5, Y3
	VPXOR	-32(DI), Y5, Y4
	VMOVDQU	Y1, (SI)
	VMOVDQU	Y2, 32(SI)
	VMOVDQU	Y3, -64(DI)
	VMOVDQU	Y4, -32(DI)
	VZEROUPPER
	RET
