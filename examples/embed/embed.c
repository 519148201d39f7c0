/* embed: the smallest C program that uses libswitchyard. It loads the bundle
 * named on the command line, generates 20 tokens greedily from a prompt and
 * prints them. Usage: embed MODEL.syb [PROMPT] */
#include <stdio.h>

#include "switchyard/switchyard.h"

static int print_token(int32_t token, const char* text, size_t text_len, void* user_data) {
  (void)token;
  (void)user_data;
  fwrite(text, 1, text_len, stdout);
  return 0;
}

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s MODEL.syb [PROMPT]\n", argv[0]);
    return 2;
  }
  const char* prompt = argc > 2 ? argv[2] : "ROMEO:";

  sy_model* model = NULL;
  if (sy_model_load(argv[1], NULL, &model) != SY_OK) {
    fprintf(stderr, "error: %s\n", sy_last_error());
    return 1;
  }
  sy_context* context = NULL;
  if (sy_context_create(model, NULL, &context) != SY_OK) {
    fprintf(stderr, "error: %s\n", sy_last_error());
    sy_model_free(model);
    return 1;
  }

  sy_generate_options options;
  sy_generate_options_init(&options);
  options.sampling.temperature = 0.0f;
  options.sampling.repetition_penalty = 1.0f;
  options.max_tokens = 20;

  fputs(prompt, stdout);
  sy_status status = sy_generate(context, prompt, &options, print_token, NULL, NULL);
  fputs("\n", stdout);
  if (status != SY_OK) fprintf(stderr, "error: %s\n", sy_last_error());

  sy_context_free(context);
  sy_model_free(model);
  return status == SY_OK ? 0 : 1;
}
