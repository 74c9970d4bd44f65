from soundbite.cli import main

main()
