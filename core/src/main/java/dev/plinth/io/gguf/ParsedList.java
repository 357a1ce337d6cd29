package dev.plinth.io.gguf;

import java.util.AbstractList;
import java.util.RandomAccess;

/**
 * An immutable list over an exactly sized array, filled by the parser with canonical values, so
 * that {@link GgufValue.GgufArray} need not copy or check it again.
 */
final class ParsedList extends AbstractList<Object> implements RandomAccess {

    private final Object[] elements;

    ParsedList(Object[] elements) {
        this.elements = elements;
    }

    @Override
    public Object get(int index) {
        return elements[index];
    }

    @Override
    public int size() {
        return elements.length;
    }
}
