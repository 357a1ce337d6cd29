package dev.plinth.io.gguf;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * Where the size-like fields of a valid GGUF image are: every uint64 (counts, string and array
 * lengths, dimensions, offsets) and uint32 (version, types, n_dims) field, for targeted mutation.
 * Walks only files known to be valid.
 */
public final class GgufFieldMap {
    final List<Integer> u64 = new ArrayList<>();
    final List<Integer> u32 = new ArrayList<>();
    private final ByteBuffer b;

    public GgufFieldMap(byte[] image) {
        b = ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN);
        b.position(4);
        int32();
        long tensors = int64();
        long kvs = int64();
        for (long i = 0; i < kvs; i++) {
            string();
            value(int32());
        }
        for (long i = 0; i < tensors; i++) {
            string();
            int nDims = int32();
            for (int d = 0; d < nDims; d++) {
                int64();
            }
            int32();
            int64();
        }
    }

    private void value(int type) {
        switch (type) {
            case 0, 1, 7 -> b.position(b.position() + 1);
            case 2, 3 -> b.position(b.position() + 2);
            case 4, 5, 6 -> b.position(b.position() + 4);
            case 10, 11, 12 -> b.position(b.position() + 8);
            case 8 -> string();
            case 9 -> {
                int et = int32();
                long n = int64();
                for (long i = 0; i < n; i++) {
                    value(et);
                }
            }
            default -> throw new IllegalStateException("not a valid file: type " + type);
        }
    }

    private void string() {
        long n = int64();
        b.position(b.position() + (int) n);
    }

    private int int32() {
        u32.add(b.position());
        return b.getInt();
    }

    private long int64() {
        u64.add(b.position());
        return b.getLong();
    }
}
