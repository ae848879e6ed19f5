//go:build amd64 && !purego

#include "textflag.h"

// maskSSE2 and maskAVX2 mask len(b) >= 64 bytes in place; the Go wrappers
// send shorter payloads to the portable code. Registers:
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

// maskCopySSE2 and maskCopyAVX2 write len(src) >= 64 masked bytes of src to
// dst and leave src as it is; dst is as long as src and does not overlap it.
// Registers:
//   AX, BX, CX, DX, X0/Y0, X5/Y5  as above
//   SI  next src byte for the forward loop; DI  the dst byte it goes to
//   R8  one past the next src byte for the backward loop, at first one past
//       the last; R9  the same in dst
//
// They follow the in-place plan, blocks plus overlapping first and final
// vectors, with one difference: src never changes, so those vectors need
// not be loaded before the loop. They are loaded, masked and stored in the
// order in which the loop goes over the payload, and where they overlap the
// loop's bytes they write the same values again.
//
// Payloads of 256 bytes or more align the loop's stores on dst, src then
// being read at any offset: unaligned stores cost more than unaligned loads
// (16 KiB, dst 14 bytes past a 32-byte boundary, src aligned: 98 ns aligned
// on dst, 126 ns aligned on src). Those payloads also pick the direction of
// the loop. A load slows down when a store still in flight has nearly the
// same address modulo 4 KiB (the CPU compares page offsets first), which
// befalls every load of a forward loop when dst is a little ahead of src
// modulo 4 KiB. That is the write path's usual case: dst 14 bytes into a
// page-aligned buffer, src a large allocation that starts a page. 16 KiB
// then took 134 ns instead of 92, so when dst is ahead by less than 2 KiB
// the loop runs backward from the end, and the stores trail the loads.

// MASK_KEYS computes BX from the key AX and the length DX, and puts AX and
// BX in the low dwords of X0 and X5.
#define MASK_KEYS \
	MOVL	AX, BX \
	MOVL	DX, CX \
	ANDL	$3, CX \
	SHLL	$3, CX \
	RORL	CX, BX \
	MOVQ	AX, X0 \
	MOVQ	BX, X5

// MASK_SETUP loads the arguments, computes BX, DI and R8, and puts the
// keys in the low dwords of X0 and X5.
#define MASK_SETUP \
	MOVL	key+0(FP), AX \
	MOVQ	b_base+8(FP), SI \
	MOVQ	b_len+16(FP), DX \
	MOVQ	SI, R8 \
	LEAQ	(SI)(DX*1), DI \
	MASK_KEYS

// MASK_GAP sets CX to the bytes from ptr up to the next multiple of align
// (a power of two): 0 when ptr is aligned already.
#define MASK_GAP(ptr, align) \
	MOVQ	ptr, CX \
	NEGQ	CX \
	ANDQ	$(align-1), CX

// MASK_SKIP takes the CX bytes that the caller's pointers just skipped off
// DX and rotates AX by them, so that AX stays the key for the new start. It
// clobbers CX.
#define MASK_SKIP \
	SUBQ	CX, DX \
	ANDL	$3, CX \
	SHLL	$3, CX \
	RORL	CX, AX

// MASK_ALIGN advances SI to the next multiple of align and rotates AX by the
// bytes skipped, so that it stays the key for (SI).
#define MASK_ALIGN(align) \
	MASK_GAP(SI, align) \
	ADDQ	CX, SI \
	MASK_SKIP

// MASKCOPY_SETUP loads the arguments, computes BX, R8 and R9, and puts the
// keys in the low dwords of X0 and X5.
#define MASKCOPY_SETUP \
	MOVL	key+0(FP), AX \
	MOVQ	dst_base+8(FP), DI \
	MOVQ	src_base+32(FP), SI \
	MOVQ	src_len+40(FP), DX \
	LEAQ	(SI)(DX*1), R8 \
	LEAQ	(DI)(DX*1), R9 \
	MASK_KEYS

// MASKCOPY_ALIGN advances DI to the next multiple of align, and SI by as
// many bytes, and rotates AX by them, so that it stays the key for (SI).
#define MASKCOPY_ALIGN(align) \
	MASK_GAP(DI, align) \
	ADDQ	CX, SI \
	ADDQ	CX, DI \
	MASK_SKIP

// MASKCOPY_IF_DST_AHEAD jumps to label when DI lies 1 to 2047 bytes after SI
// modulo 4 KiB.
#define MASKCOPY_IF_DST_AHEAD(label) \
	MOVQ	DI, CX \
	SUBQ	SI, CX \
	DECQ	CX \
	ANDQ	$4095, CX \
	CMPQ	CX, $2047 \
	JB	label

// MASKCOPY_ALIGN_END moves R9 back to the previous multiple of align, and R8
// by as many bytes, takes them off DX and rotates BX back by them, so that
// it stays the key for the byte at R8.
#define MASKCOPY_ALIGN_END(align) \
	MOVQ	R9, CX \
	ANDQ	$(align-1), CX \
	SUBQ	CX, R8 \
	SUBQ	CX, R9 \
	SUBQ	CX, DX \
	ANDL	$3, CX \
	SHLL	$3, CX \
	ROLL	CX, BX

// MASK_SSE4 masks the four 16-byte vectors at offsets o1-o4 from src with
// the broadcast key xkey and stores each at the same offset from dst, in that
// order. It clobbers X1-X4.
#define MASK_SSE4(src, dst, xkey, o1, o2, o3, o4) \
	MOVOU	o1(src), X1 \
	PXOR	xkey, X1 \
	MOVOU	X1, o1(dst) \
	MOVOU	o2(src), X2 \
	PXOR	xkey, X2 \
	MOVOU	X2, o2(dst) \
	MOVOU	o3(src), X3 \
	PXOR	xkey, X3 \
	MOVOU	X3, o3(dst) \
	MOVOU	o4(src), X4 \
	PXOR	xkey, X4 \
	MOVOU	X4, o4(dst)

// MASK_AVX4 is MASK_SSE4 with 32-byte vectors and the key in ykey; it
// clobbers Y1-Y4.
#define MASK_AVX4(src, dst, ykey, o1, o2, o3, o4) \
	VPXOR	o1(src), ykey, Y1 \
	VMOVDQU	Y1, o1(dst) \
	VPXOR	o2(src), ykey, Y2 \
	VMOVDQU	Y2, o2(dst) \
	VPXOR	o3(src), ykey, Y3 \
	VMOVDQU	Y3, o3(dst) \
	VPXOR	o4(src), ykey, Y4 \
	VMOVDQU	Y4, o4(dst)

// MASK_AVX_SHORT masks a payload of 64 to 127 bytes that runs from src to
// srcend into the one from dst to dstend (the same for in place), and
// returns: the first and the final 64 bytes cover it all, and all four
// vectors are loaded before any is stored.
#define MASK_AVX_SHORT(src, srcend, dst, dstend) \
	VPXOR	(src), Y0, Y1 \
	VPXOR	32(src), Y0, Y2 \
	VPXOR	-64(srcend), Y5, Y3 \
	VPXOR	-32(srcend), Y5, Y4 \
	VMOVDQU	Y1, (dst) \
	VMOVDQU	Y2, 32(dst) \
	VMOVDQU	Y3, -64(dstend) \
	VMOVDQU	Y4, -32(dstend) \
	VZEROUPPER \
	RET

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
	MASK_SSE4(SI, SI, X0, 0, 16, 32, 48)
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
	MASK_AVX4(SI, SI, Y0, 0, 32, 64, 96)
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
	MASK_AVX_SHORT(SI, DI, SI, DI)

// func maskCopySSE2(key uint32, dst, src []byte)
TEXT ·maskCopySSE2(SB), NOSPLIT, $0-56
	MASKCOPY_SETUP
	PSHUFD	$0, X0, X0
	PSHUFD	$0, X5, X5
	CMPQ	DX, $256
	JB	copysse64
	MASKCOPY_IF_DST_AHEAD(copysseback)
	// The first vector covers the bytes before the aligned start.
	MOVOU	(SI), X1
	PXOR	X0, X1
	MOVOU	X1, (DI)
	MASKCOPY_ALIGN(16)
	MOVQ	AX, X0
	PSHUFD	$0, X0, X0

	// At least one whole block is left here, as in maskSSE2. Both loops
	// start at a 32-byte boundary, not 16 like maskSSE2's: one layout
	// ran the forward loop 45% slower.
	PCALIGN	$32
copysse64:
	MASK_SSE4(SI, DI, X0, 0, 16, 32, 48)
	ADDQ	$64, SI
	ADDQ	$64, DI
	SUBQ	$64, DX
	CMPQ	DX, $64
	JAE	copysse64

	MASK_SSE4(R8, R9, X5, -64, -48, -32, -16)
	RET

copysseback:
	// The final vector covers the bytes after the aligned end.
	MOVOU	-16(R8), X1
	PXOR	X5, X1
	MOVOU	X1, -16(R9)
	MASKCOPY_ALIGN_END(16)
	MOVQ	BX, X5
	PSHUFD	$0, X5, X5

	// At least 256-15 bytes are left before R8, so the test is at the
	// bottom.
	PCALIGN	$32
copysseback64:
	MASK_SSE4(R8, R9, X5, -16, -32, -48, -64)
	SUBQ	$64, R8
	SUBQ	$64, R9
	SUBQ	$64, DX
	CMPQ	DX, $64
	JAE	copysseback64

	// The first 64 bytes cover what is left before R8.
	MASK_SSE4(SI, DI, X0, 48, 32, 16, 0)
	RET

// func maskCopyAVX2(key uint32, dst, src []byte)
TEXT ·maskCopyAVX2(SB), NOSPLIT, $0-56
	MASKCOPY_SETUP
	VPBROADCASTD	X0, Y0
	VPBROADCASTD	X5, Y5
	CMPQ	DX, $128
	JB	copyavxshort
	CMPQ	DX, $256
	JB	copyavx128
	MASKCOPY_IF_DST_AHEAD(copyavxback)
	VPXOR	(SI), Y0, Y1
	VMOVDQU	Y1, (DI)
	MASKCOPY_ALIGN(32)
	MOVQ	AX, X0
	VPBROADCASTD	X0, Y0

	// At least one whole block is left here, as in maskAVX2.
	PCALIGN	$32
copyavx128:
	MASK_AVX4(SI, DI, Y0, 0, 32, 64, 96)
	SUBQ	$-128, SI
	SUBQ	$-128, DI
	ADDQ	$-128, DX
	CMPQ	DX, $128
	JAE	copyavx128

	MASK_AVX4(R8, R9, Y5, -128, -96, -64, -32)
	VZEROUPPER
	RET

copyavxback:
	// The final vector covers the bytes after the aligned end.
	VPXOR	-32(R8), Y5, Y1
	VMOVDQU	Y1, -32(R9)
	MASKCOPY_ALIGN_END(32)
	MOVQ	BX, X5
	VPBROADCASTD	X5, Y5

	// At least 256-31 bytes are left before R8, so the test is at the
	// bottom.
	PCALIGN	$32
copyavxback128:
	MASK_AVX4(R8, R9, Y5, -32, -64, -96, -128)
	ADDQ	$-128, R8
	ADDQ	$-128, R9
	ADDQ	$-128, DX
	CMPQ	DX, $128
	JAE	copyavxback128

	// The first 128 bytes cover what is left before R8.
	MASK_AVX4(SI, DI, Y0, 96, 64, 32, 0)
	VZEROUPPER
	RET

copyavxshort:
	MASK_AVX_SHORT(SI, R8, DI, R9)
