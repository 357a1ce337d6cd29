/** Chat templates (Jinja through Jinjava), and the library's chat and fine-tuning entries. */
module dev.plinth.templates {
    requires transitive dev.plinth.core;
    requires jinjava;

    exports dev.plinth.api.chat;
    exports dev.plinth.api.tune;
    exports dev.plinth.text.template to dev.plinth.server;
    // Jinjava calls the template helpers' methods reflectively.
    opens dev.plinth.text.template to jinjava;
}
