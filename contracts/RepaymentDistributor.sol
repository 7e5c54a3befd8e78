// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {IRepaymentDistributor} from "./interfaces/IRepaymentDistributor.sol";
import {IOracleHub} from "./interfaces/IOracleHub.sol";
import {IInvoiceToken} from "./interfaces/IInvoiceToken.sol";
import {IInvoiceShares} from "./interfaces/IInvoiceShares.sol";

/// @title RepaymentDistributor
/// @notice Receives invoice repayments and distributes them pull-based, pro-rata to InvoiceShares.
/// @dev For a holder h of invoice i, with net_i the cumulative amount repaid to holders (after the yield fee) and
///      principal_i the share supply:
///          earned(h) = floor((net_i * balance_h + correction_h) / principal_i),   claimable(h) = earned(h) - withdrawn_h.
///      Every term is an exact integer: no scaled accumulator, so nothing is lost before the one final division. A
///      transfer of v shares adds net_i * v to the sender's correction and subtracts it from the receiver's, so each
///      side's earned value is unchanged to the unit. The corrections sum to zero, so the numerators sum to
///      net_i * principal_i: the holders' earned values sum to at most net_i, and to more than net_i - (holders), i.e.
///      the dust left after everyone claimed is at most (holders - 1) base units, and a sole holder gets all of net_i.
contract RepaymentDistributor is IRepaymentDistributor, AccessControl, Pausable, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;
    using SafeCast for uint256;
    using SafeCast for int256;

    bytes32 public constant PAUSER_ROLE = keccak256("PAUSER_ROLE");
    bytes32 public constant COLLECTOR_ROLE = keccak256("COLLECTOR_ROLE");

    /// @inheritdoc IRepaymentDistributor
    uint16 public constant MAX_YIELD_FEE_BPS = 2000;
    uint64 public constant MAX_GRACE_PERIOD = 365 days;
    uint256 private constant _BPS = 10_000;

    IERC20 public immutable asset;
    IInvoiceToken public immutable token;
    IInvoiceShares public immutable shares;
    IOracleHub public immutable hub;
    address public immutable escrow;

    uint16 private _yieldFeeBps;
    uint64 private _gracePeriod;
    address private _treasury;

    mapping(uint256 invoiceId => Book) private _books;

    /// @dev What `claim` reads, packed in one slot: the cumulative net repaid to holders and the share supply.
    ///      Written non-zero (principal) when the invoice is funded, so a repayment never writes a fresh slot.
    struct Distribution {
        uint128 net;
        uint128 principal;
    }

    mapping(uint256 invoiceId => Distribution) private _distributions;
    mapping(uint256 invoiceId => mapping(address holder => int256)) private _corrections;
    mapping(address investor => bool) private _autoPayout;

    constructor(
        address admin,
        IERC20 settlementAsset,
        IInvoiceToken invoiceToken,
        IInvoiceShares invoiceShares,
        IOracleHub oracleHub,
        address fundingEscrow,
        address treasury_,
        uint16 yieldFeeBps_,
        uint64 gracePeriod_
    ) {
        require(treasury_ != address(0) && fundingEscrow != address(0), ZeroAddress());
        require(yieldFeeBps_ <= MAX_YIELD_FEE_BPS, FeeTooHigh(yieldFeeBps_, MAX_YIELD_FEE_BPS));
        require(gracePeriod_ <= MAX_GRACE_PERIOD, GracePeriodTooLong(gracePeriod_, MAX_GRACE_PERIOD));
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        asset = settlementAsset;
        token = invoiceToken;
        shares = invoiceShares;
        hub = oracleHub;
        escrow = fundingEscrow;
        _treasury = treasury_;
        _yieldFeeBps = yieldFeeBps_;
        _gracePeriod = gracePeriod_;
    }

    // ---------------------------------------------------------------- repayments

    /// @inheritdoc IRepaymentDistributor
    function repay(uint256 invoiceId, uint128 amount) external whenNotPaused nonReentrant {
        _applyRepayment(invoiceId, amount, bytes32(0));
    }

    /// @inheritdoc IRepaymentDistributor
    function settleRepayment(IOracleHub.Repayment calldata r, bytes[] calldata signatures)
        external
        onlyRole(COLLECTOR_ROLE)
        whenNotPaused
        nonReentrant
    {
        hub.consumeRepayment(r, signatures);
        _applyRepayment(r.invoiceId, r.amount, r.bankRef);
    }

    /// @inheritdoc IRepaymentDistributor
    function markDefaulted(uint256 invoiceId) external whenNotPaused {
        Book storage b = _books[invoiceId];
        BookState state = b.state;
        require(state == BookState.Funded, NotDefaultable(invoiceId, state));
        uint256 after_ = uint256(b.dueDate) + b.gracePeriod;
        require(block.timestamp > after_, GracePeriodNotOver(invoiceId, after_));
        b.state = BookState.Defaulted;
        emit InvoiceDefaulted(invoiceId, b.faceValue - b.repaid);
        token.transition(invoiceId, IInvoiceToken.Status.Defaulted);
    }

    // ---------------------------------------------------------------- claims (never paused)

    /// @inheritdoc IRepaymentDistributor
    function claim(uint256 invoiceId) external nonReentrant {
        uint128 amount = _settleClaim(invoiceId, msg.sender);
        require(amount != 0, NothingToClaim(invoiceId, msg.sender));
        asset.safeTransfer(msg.sender, amount);
    }

    /// @inheritdoc IRepaymentDistributor
    function claimMany(uint256[] calldata ids) external nonReentrant {
        uint256 total = 0;
        for (uint256 i; i < ids.length; ++i) {
            total += _settleClaim(ids[i], msg.sender);
        }
        require(total != 0, NothingToClaim(ids.length == 0 ? 0 : ids[0], msg.sender));
        asset.safeTransfer(msg.sender, total);
    }

    /// @inheritdoc IRepaymentDistributor
    function claimFor(uint256 invoiceId, address[] calldata investors) external nonReentrant {
        for (uint256 i; i < investors.length; ++i) {
            address investor = investors[i];
            if (!_autoPayout[investor]) continue;
            uint128 amount = _settleClaim(invoiceId, investor);
            if (amount != 0) asset.safeTransfer(investor, amount);
        }
    }

    /// @inheritdoc IRepaymentDistributor
    function setAutoPayout(bool enabled) external whenNotPaused {
        _autoPayout[msg.sender] = enabled;
        emit AutoPayoutSet(msg.sender, enabled);
    }

    // ---------------------------------------------------------------- module hooks

    /// @inheritdoc IRepaymentDistributor
    function onFunded(uint256 invoiceId, uint128 principal, uint16 yieldFeeBps_, uint32 gracePeriod_) external {
        require(msg.sender == escrow, NotEscrow(msg.sender));
        IInvoiceToken.Invoice memory inv = token.invoiceOf(invoiceId);
        _books[invoiceId] = Book({
            principal: principal,
            faceValue: inv.faceValue,
            repaid: 0,
            dueDate: inv.dueDate,
            yieldFeeBps: yieldFeeBps_,
            state: BookState.Funded,
            gracePeriod: gracePeriod_,
            seller: inv.seller
        });
        _distributions[invoiceId] = Distribution({net: 0, principal: principal});
    }

    /// @inheritdoc IRepaymentDistributor
    function onSharesTransferred(uint256 invoiceId, address from, address to, uint256 amount) external {
        require(msg.sender == address(shares), NotShares(msg.sender));
        uint256 net = _distributions[invoiceId].net;
        if (net == 0) return; // nothing distributed yet: corrections would be zero
        // net < 2^128 and amount <= principal < 2^128: the product fits uint256; SafeCast checks it fits int256.
        int256 delta = (net * amount).toInt256();
        _corrections[invoiceId][from] += delta;
        _corrections[invoiceId][to] -= delta;
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc IRepaymentDistributor
    function claimable(uint256 invoiceId, address investor) external view returns (uint256) {
        IInvoiceShares.Position memory p = shares.positionOf(invoiceId, investor);
        return _earned(invoiceId, investor, p.balance) - p.withdrawn;
    }

    /// @inheritdoc IRepaymentDistributor
    function autoPayoutOf(address investor) external view returns (bool) {
        return _autoPayout[investor];
    }

    /// @inheritdoc IRepaymentDistributor
    function bookOf(uint256 invoiceId) external view returns (Book memory) {
        return _books[invoiceId];
    }

    /// @inheritdoc IRepaymentDistributor
    function netDistributed(uint256 invoiceId) external view returns (uint256) {
        return _distributions[invoiceId].net;
    }

    /// @inheritdoc IRepaymentDistributor
    function defaultableAfter(uint256 invoiceId) external view returns (uint256) {
        Book storage b = _books[invoiceId];
        return b.state == BookState.Funded ? uint256(b.dueDate) + b.gracePeriod : 0;
    }

    /// @inheritdoc IRepaymentDistributor
    function yieldFeeBps() external view returns (uint16) {
        return _yieldFeeBps;
    }

    /// @inheritdoc IRepaymentDistributor
    function gracePeriod() external view returns (uint64) {
        return _gracePeriod;
    }

    /// @inheritdoc IRepaymentDistributor
    function treasury() external view returns (address) {
        return _treasury;
    }

    // ---------------------------------------------------------------- admin

    /// @inheritdoc IRepaymentDistributor
    function setYieldFee(uint16 yieldFeeBps_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        require(yieldFeeBps_ <= MAX_YIELD_FEE_BPS, FeeTooHigh(yieldFeeBps_, MAX_YIELD_FEE_BPS));
        _yieldFeeBps = yieldFeeBps_;
        emit YieldFeeUpdated(yieldFeeBps_);
    }

    /// @inheritdoc IRepaymentDistributor
    function setGracePeriod(uint64 gracePeriod_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        require(gracePeriod_ <= MAX_GRACE_PERIOD, GracePeriodTooLong(gracePeriod_, MAX_GRACE_PERIOD));
        _gracePeriod = gracePeriod_;
        emit GracePeriodUpdated(gracePeriod_);
    }

    /// @inheritdoc IRepaymentDistributor
    function setTreasury(address treasury_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        require(treasury_ != address(0), ZeroAddress());
        _treasury = treasury_;
        emit TreasuryUpdated(treasury_);
    }

    function pause() external onlyRole(PAUSER_ROLE) {
        _pause();
    }

    function unpause() external onlyRole(PAUSER_ROLE) {
        _unpause();
    }

    // ---------------------------------------------------------------- internals

    /// @dev Takes `amount` from the caller and splits it: up to faceValue to the holders (less the yield fee on the
    ///      part above principal, to the treasury), the rest to the seller. Fees are computed on cumulative amounts,
    ///      rounded up, so partial payments never round in the payer's or holders' favour.
    function _applyRepayment(uint256 invoiceId, uint128 amount, bytes32 bankRef) private {
        require(amount != 0, ZeroAmount());
        Book storage b = _books[invoiceId];
        BookState state = b.state;
        require(state == BookState.Funded || state == BookState.Defaulted, InvoiceNotRepayable(invoiceId, state));
        uint128 face = b.faceValue;
        uint128 before = b.repaid;
        uint128 total = before + amount; // checked: reverts on overflow
        b.repaid = total;

        (uint256 fee, uint256 net, uint256 surplus) = _split(before, total, face, b.principal, b.yieldFeeBps);
        if (net != 0) {
            // Exact: net never exceeds faceValue, a uint128 (checked cast all the same).
            _distributions[invoiceId].net += net.toUint128();
        }
        // Only a Funded invoice becomes Repaid; a Defaulted one stays Defaulted and its recoveries still flow.
        bool repaidNow = state == BookState.Funded && total >= face;
        if (repaidNow) b.state = BookState.Repaid;
        emit RepaymentReceived(invoiceId, msg.sender, amount, total, bankRef);
        if (repaidNow) {
            emit InvoiceRepaid(invoiceId, total);
            token.transition(invoiceId, IInvoiceToken.Status.Repaid);
        }

        asset.safeTransferFrom(msg.sender, address(this), amount);
        if (fee != 0) {
            asset.safeTransfer(_treasury, fee);
            emit YieldFeeCharged(invoiceId, uint128(fee));
        }
        if (surplus != 0) {
            address seller = b.seller;
            asset.safeTransfer(seller, surplus);
            emit SurplusPaid(invoiceId, seller, uint128(surplus));
        }
    }

    /// @dev Splits a repayment that takes the cumulative total from `before` to `total`: the part up to `face` goes to
    ///      the holders (`net`) less the yield fee on what exceeds `principal` (`fee`); the part above `face` is the
    ///      seller's (`surplus`). The fee is a function of the cumulative amount, rounded up, so splitting one payment
    ///      into many never lowers it.
    function _split(uint256 before, uint256 total, uint256 face, uint256 principal, uint256 bps)
        private
        pure
        returns (uint256 fee, uint256 net, uint256 surplus)
    {
        uint256 heldBefore = Math.min(before, face);
        uint256 heldAfter = Math.min(total, face);
        fee = _yieldFee(heldAfter, principal, bps) - _yieldFee(heldBefore, principal, bps);
        net = heldAfter - heldBefore - fee;
        surplus = (total - before) - (heldAfter - heldBefore);
    }

    /// @dev The cumulative yield fee once `held` has been repaid toward face: bps of the part above principal, rounded up.
    function _yieldFee(uint256 held, uint256 principal, uint256 bps) private pure returns (uint256) {
        return held > principal ? Math.mulDiv(held - principal, bps, _BPS, Math.Rounding.Ceil) : 0;
    }

    /// @dev floor((net * balance + correction) / principal). Never negative: a correction is only ever subtracted for
    ///      shares received, whose net * amount at that time is then part of net * balance.
    function _earned(uint256 invoiceId, address holder, uint256 balance) private view returns (uint256) {
        Distribution memory d = _distributions[invoiceId];
        if (d.net == 0) return 0;
        int256 numerator = (uint256(d.net) * balance).toInt256() + _corrections[invoiceId][holder];
        return numerator.toUint256() / d.principal;
    }

    /// @dev Records everything `holder` can claim as withdrawn and returns it; the caller pays.
    function _settleClaim(uint256 invoiceId, address holder) private returns (uint128 amount) {
        IInvoiceShares.Position memory p = shares.positionOf(invoiceId, holder);
        uint256 earned = _earned(invoiceId, holder, p.balance);
        amount = (earned - p.withdrawn).toUint128();
        if (amount != 0) {
            shares.setWithdrawn(invoiceId, holder, uint128(earned));
            emit Claimed(invoiceId, holder, amount);
        }
    }
}
