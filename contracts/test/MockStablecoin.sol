// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";

/// @title MockStablecoin
/// @notice A rupee stablecoin for local chains only: 6 decimals, EIP-2612 permit, and an open faucet.
contract MockStablecoin is ERC20, ERC20Permit {
    /// @notice The most one faucet call hands out: 1 crore rupees.
    uint256 public constant FAUCET_LIMIT = 10_000_000 * 1e6;

    error FaucetLimitExceeded(uint256 requested, uint256 limit);

    constructor() ERC20("Hundi Test Rupee", "hINR") ERC20Permit("Hundi Test Rupee") {}

    function decimals() public pure override returns (uint8) {
        return 6;
    }

    /// @notice Mints `amount` to the caller. Dev chains only.
    function faucet(uint256 amount) external {
        mint(msg.sender, amount);
    }

    /// @notice Mints `amount` to `to`. Dev chains only.
    function mint(address to, uint256 amount) public {
        require(amount <= FAUCET_LIMIT, FaucetLimitExceeded(amount, FAUCET_LIMIT));
        _mint(to, amount);
    }
}
