package dev.plinth.server;

import java.io.IOException;

/** Reads a {@link Run}'s events until every choice has ended. */
final class Events {

    /** How often an idle stream is pinged (an SSE comment), which also finds out that its client left. */
    static final long PING_MILLIS = 1000;

    interface Handler {
        void accept(Run.Event event) throws IOException;
    }

    private Events() {
    }

    /**
     * Hands each event to {@code handler}; a streaming call is pinged while nothing comes. An
     * IOException (the client went away) propagates: the caller closes the run, cancelling it.
     */
    static void pump(Call call, Run run, boolean streaming, Handler handler) throws IOException, InterruptedException {
        while (run.running()) {
            Run.Event e = run.next(PING_MILLIS);
            if (e == null) {
                if (streaming) {
                    call.ping();
                }
                continue;
            }
            handler.accept(e);
        }
    }
}
