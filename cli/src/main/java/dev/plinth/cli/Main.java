package dev.plinth.cli;

/** Entry point of the {@code plinth} command. */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        System.out.println("plinth: no commands yet");
    }
}
