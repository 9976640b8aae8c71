# Sourced (`source scripts/node-env.sh`) by .ci/run and scripts/test.sh: puts a supported Node.js
# first on PATH (see scripts/node.sh), so npm, npx and every tool run on it.
_textslash_node_bin=$(bash "$(dirname "${BASH_SOURCE[0]}")/node.sh") || return 1
case ":$PATH:" in
  *":$_textslash_node_bin:"*) ;;
  *) export PATH="$_textslash_node_bin:$PATH" ;;
esac
unset _textslash_node_bin
