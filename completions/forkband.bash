# bash completion for forkband and forkband-mpi.
#
# The options of each command are read from the program's own `forkband CMD --help`,
# and the kernel names from `forkband kernels`, so that they cannot drift from the
# program; the values of --schedule and --isa are listed here (tests/usage.sh
# checks each against the program). Needs nothing but bash.

_forkband_options()
{
	"$1" "$2" --help 2>/dev/null | grep -o -- '--[a-z][a-z-]*' | sort -u
}

_forkband()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
	local prog=${COMP_WORDS[0]} cmd=${COMP_WORDS[1]}

	COMPREPLY=()
	if [ "$COMP_CWORD" -eq 1 ]; then
		COMPREPLY=($(compgen -W "run scale kernels help --help --version" -- "$cur"))
		return
	fi
	case $prev in
	--schedule)
		COMPREPLY=($(compgen -W "static cyclic dynamic guided" -- "$cur"))
		return ;;
	--isa)
		COMPREPLY=($(compgen -W "auto scalar sse2 avx2 avx512" -- "$cur"))
		return ;;
	-o|--output)
		COMPREPLY=($(compgen -f -X '!*.[pP][nN][gG]' -- "$cur") $(compgen -d -- "$cur"))
		return ;;
	--plot)
		COMPREPLY=($(compgen -f -X '!*.svg' -- "$cur") $(compgen -d -- "$cur"))
		return ;;
	--report|--csv|--json|--markdown)
		COMPREPLY=($(compgen -f -- "$cur"))
		return ;;
	-j|--workers|--chunk|--memory|--timeout|--repeat|--warmup|--set)
		return ;;	# a value of the user's own
	esac
	case $cmd in
	run|scale)
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "$(_forkband_options "$prog" "$cmd")" -- "$cur"))
		else
			COMPREPLY=($(compgen -f -X '!*.json' -- "$cur") $(compgen -f -X '!*.png' -- "$cur")
				   $(compgen -d -- "$cur"))
		fi ;;
	kernels)
		COMPREPLY=($(compgen -W "--json --markdown --help $("$prog" kernels 2>/dev/null |
			sed -n 's/^\([a-z][a-z0-9_]*\):.*/\1/p')" -- "$cur")) ;;
	help)
		[ "$COMP_CWORD" -eq 2 ] && COMPREPLY=($(compgen -W "run scale kernels help" -- "$cur")) ;;
	esac
}

complete -o filenames -F _forkband forkband forkband-mpi
