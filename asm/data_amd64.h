// DATA16 and DATA32 fill 16 or 32 bytes of sym from byte off with the
// qword v: the constant tables repeat one qword per 128- or 256-bit lane.
#define DATA16(sym, off, v) \
	DATA sym+(off)(SB)/8, $v; \
	DATA sym+(off+8)(SB)/8, $v

#define DATA32(sym, off, v) \
	DATA16(sym, off, v); \
	DATA16(sym, off+16, v)
