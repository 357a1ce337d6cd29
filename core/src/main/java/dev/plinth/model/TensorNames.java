package dev.plinth.model;

import dev.plinth.io.ModelFormat;
import java.util.List;

/** Where a format keeps each decoder weight: llama.cpp's GGUF names or Hugging Face's. */
public sealed interface TensorNames {

    /** The per-block roles, in GGUF's names (the q/k norms are Qwen3's). */
    List<String> LAYER_ROLES = List.of("attn_norm", "attn_q", "attn_k", "attn_v", "attn_output", "attn_q_norm",
            "attn_k_norm", "ffn_norm", "ffn_gate", "ffn_up", "ffn_down");

    String embedding();

    String output();

    String outputNorm();

    /** Weight of {@code role} (a GGUF role name such as {@code attn_q}) in block {@code i}. */
    String layer(int i, String role);

    /** Bias of {@code role} in block {@code i}. */
    String bias(int i, String role);

    static TensorNames of(ModelFormat format) {
        return switch (format) {
            case GGUF, LLAMA2C -> new Gguf();
            case HF_FOLDER, SAFETENSORS -> new HuggingFace();
        };
    }

    /** llama.cpp's names (llama2.c checkpoints are read under the same names). */
    record Gguf() implements TensorNames {
        public String embedding() {
            return "token_embd.weight";
        }

        public String output() {
            return "output.weight";
        }

        public String outputNorm() {
            return "output_norm.weight";
        }

        public String layer(int i, String role) {
            return "blk." + i + "." + role + ".weight";
        }

        public String bias(int i, String role) {
            return "blk." + i + "." + role + ".bias";
        }
    }

    /** transformers' LlamaForCausalLM / MistralForCausalLM / Qwen2ForCausalLM / Qwen3ForCausalLM names. */
    record HuggingFace() implements TensorNames {
        public String embedding() {
            return "model.embed_tokens.weight";
        }

        public String output() {
            return "lm_head.weight";
        }

        public String outputNorm() {
            return "model.norm.weight";
        }

        public String layer(int i, String role) {
            return "model.layers." + i + "." + module(role) + ".weight";
        }

        public String bias(int i, String role) {
            return "model.layers." + i + "." + module(role) + ".bias";
        }

        private static String module(String role) {
            return switch (role) {
                case "attn_norm" -> "input_layernorm";
                case "attn_q" -> "self_attn.q_proj";
                case "attn_k" -> "self_attn.k_proj";
                case "attn_v" -> "self_attn.v_proj";
                case "attn_output" -> "self_attn.o_proj";
                case "attn_q_norm" -> "self_attn.q_norm";
                case "attn_k_norm" -> "self_attn.k_norm";
                case "ffn_norm" -> "post_attention_layernorm";
                case "ffn_gate" -> "mlp.gate_proj";
                case "ffn_up" -> "mlp.up_proj";
                case "ffn_down" -> "mlp.down_proj";
                default -> throw new IllegalArgumentException(role);
            };
        }
    }
}
