package dev.plinth.io.gguf;

/** The value types of GGUF metadata, with their on-disk ids. */
public enum GgufType {
    UINT8(0, 1), INT8(1, 1), UINT16(2, 2), INT16(3, 2), UINT32(4, 4), INT32(5, 4),
    FLOAT32(6, 4), BOOL(7, 1), STRING(8, -1), ARRAY(9, -1), UINT64(10, 8), INT64(11, 8),
    FLOAT64(12, 8);

    private final int id;
    private final int fixedBytes;

    GgufType(int id, int fixedBytes) {
        this.id = id;
        this.fixedBytes = fixedBytes;
    }

    public int id() {
        return id;
    }

    /** Encoded size of one value, or -1 for strings and arrays. */
    public int fixedBytes() {
        return fixedBytes;
    }

    /** Whether values of this type are integers (BOOL is not). */
    public boolean isInteger() {
        return switch (this) {
            case UINT8, INT8, UINT16, INT16, UINT32, INT32, UINT64, INT64 -> true;
            default -> false;
        };
    }

    /** The type with this id, or null. */
    public static GgufType fromId(long id) {
        for (GgufType t : values()) {
            if (t.id == id) {
                return t;
            }
        }
        return null;
    }
}
