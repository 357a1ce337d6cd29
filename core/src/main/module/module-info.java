/**
 * Plinth's platform: tensors, model files, tokenizers, models, training, products. Applications use
 * {@code dev.plinth.api} and the types its signatures name; the other packages are exported only to
 * Plinth's own modules.
 */
module dev.plinth.core {
    requires transitive jdk.incubator.vector;
    requires transitive com.fasterxml.jackson.databind;

    exports dev.plinth.api;
    exports dev.plinth.model;
    exports dev.plinth.model.json;
    exports dev.plinth.product;
    exports dev.plinth.text;
    exports dev.plinth.train;

    exports dev.plinth.eval to dev.plinth.server;
    exports dev.plinth.io to dev.plinth.templates, dev.plinth.knowledge, dev.plinth.server;
    exports dev.plinth.io.gguf to dev.plinth.templates, dev.plinth.knowledge, dev.plinth.server;
    exports dev.plinth.io.hf to dev.plinth.templates, dev.plinth.knowledge, dev.plinth.server;
    exports dev.plinth.io.llama2c to dev.plinth.templates, dev.plinth.knowledge, dev.plinth.server;
    exports dev.plinth.io.onnx to dev.plinth.templates, dev.plinth.knowledge, dev.plinth.server;
    exports dev.plinth.io.safetensors to dev.plinth.templates, dev.plinth.knowledge, dev.plinth.server;
    exports dev.plinth.model.convert to dev.plinth.server;
    exports dev.plinth.model.lora to dev.plinth.templates, dev.plinth.knowledge, dev.plinth.server;
    exports dev.plinth.product.audit to dev.plinth.server;
    exports dev.plinth.tensor to dev.plinth.templates, dev.plinth.knowledge, dev.plinth.server;
    exports dev.plinth.tensor.autograd to dev.plinth.templates, dev.plinth.knowledge, dev.plinth.server;
    exports dev.plinth.train.corpus to dev.plinth.server;
    exports dev.plinth.train.data to dev.plinth.templates, dev.plinth.server;
}
