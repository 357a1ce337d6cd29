package dev.plinth.tensor;

import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/** The byte order of GGUF tensor data and its unaligned value layouts, for reads from memory segments. */
final class LittleEndian {
    private LittleEndian() {
    }

    static final ByteOrder ORDER = ByteOrder.LITTLE_ENDIAN;
    static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ORDER);
    static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ORDER);
    static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ORDER);
}
